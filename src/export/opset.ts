/**
 * The ONNX opset the writer targets by default, in a file of its own so that option parsers can
 * show it without loading the writer (which loads tfjs through the model).
 */
export const DEFAULT_OPSET = 13;
