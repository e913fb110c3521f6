import { run } from './bundle.js';

await run();
