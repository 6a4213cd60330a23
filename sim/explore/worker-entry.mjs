// A worker thread's first module: registers tsx so that the TypeScript worker can load, as the
// `npm run explore` process itself runs under tsx.
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
