export * from './registry.js';
export * from './idx.js';
export * from './cifar.js';
export * from './prepare.js';
export { loadBundledMnist, BUNDLED_TRAIN, BUNDLED_TEST } from './mnist-bundled.js';
export { makeSynthetic, makeSyntheticRaw, type SyntheticSpec } from './synthetic.js';
export { readImageFolder, describeImageFolder, IMAGE_EXTENSIONS, FOLDER_TEST_FRACTION, type BadImagePolicy, type DecodeProgress, type ImageFolderOptions, type ImageFolderResult } from './image-folder.js';
export { dataFingerprint } from './fingerprint.js';
