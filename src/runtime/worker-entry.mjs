// Piscina loads this plain-JS file in each worker thread; it registers tsx so the TypeScript
// worker can be imported straight from the source tree.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.default;
