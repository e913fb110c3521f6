import { formatPath, quote } from '../config/messages.js';
import type { Config } from '../config/types.js';
import type { FileReader } from './changed-models.js';
import { headName } from './head-name.js';

/** The config field a model's version file comes from, as the user wrote it: `models.fraud.source.file`. */
const sourceField = (model: string) => formatPath(['models', model, 'source', 'file']);

/** The paths a message shows: long enough for a real repository path, still one line. */
const MAX_PATH = 200;

/**
 * One warning per model whose version file the change from `base` to `head` does not have, which
 * the change detection skips without a word (a model's file may come later): at neither ref (a
 * typo in `source.file`, or a file never added: no version change of the model is gated), or
 * deleted by the change while the config still names the model. Each names the field, the path
 * and what to do.
 */
export async function sourceFileWarnings(
  config: Config,
  reader: FileReader,
  base: string,
  head: string,
): Promise<string[]> {
  const warnings: string[] = [];
  for (const model of Object.values(config.models)) {
    const { file } = model.source;
    if ((await reader.read(head, file)) !== undefined) continue;
    const field = `${sourceField(model.name)}: ${quote(file, MAX_PATH)}`;
    warnings.push(
      (await reader.read(base, file)) === undefined
        ? `${field} is in neither the base (${headName(base)}) nor the head (${headName(head)}): no version change of ${model.name} is gated until the path is fixed or the file added`
        : `${field} is deleted by this change (it is in the base, ${headName(base)}, not in the head, ${headName(head)}), but the config still names ${model.name}: this change releases nothing for ${model.name}; remove ${model.name} from the config too, or restore the file`,
    );
  }
  return warnings;
}
