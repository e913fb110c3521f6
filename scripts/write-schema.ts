// Writes schema/model-gate.schema.json from the zod schema: `npm run schema`.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configJsonSchema, JSON_SCHEMA_PATH } from '../src/config/json-schema.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, JSON_SCHEMA_PATH);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(configJsonSchema(), null, 2)}\n`);
console.log(`wrote ${JSON_SCHEMA_PATH}`);
