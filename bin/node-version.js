// Checked before the bundle loads: on an older Node it would fail with a dump of minified code.
export const REQUIRED_MAJOR = 24;

/** Why this Node cannot run model-gate, or undefined when it can. */
export function nodeVersionProblem(version) {
  const major = Number(version.replace(/^v/, '').split('.')[0]);
  if (major >= REQUIRED_MAJOR) return undefined;
  return `model-gate needs Node.js ${REQUIRED_MAJOR} or newer, and this is ${version}: install Node ${REQUIRED_MAJOR} (in a workflow: actions/setup-node with node-version: ${REQUIRED_MAJOR})`;
}
