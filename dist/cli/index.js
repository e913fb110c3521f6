import { main } from '../bundle.js';

process.exitCode = await main(process.argv.slice(2));
