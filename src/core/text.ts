/** Shorten `text` to at most `max` characters, marking the cut with an ellipsis. */
export const clip = (text: string, max: number): string =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;

/** `1 model`, `3 models`, `2 batches`: a count with its noun in the number it needs. */
export const counted = (n: number, noun: string, plural = `${noun}s`): string =>
  `${n} ${n === 1 ? noun : plural}`;

/** `words; then`: a platform's sentence (`… is expired.`) continued by ours, without `.;` between. */
export const followedBy = (words: string, then: string): string => `${words.replace(/\.\s*$/, '')}; ${then}`;
