/** Request bodies turned into typed values at the edge; every message names the field and value. */
import type { TrafficState } from '../core/traffic.js';
import { HttpError } from './http-io.js';
import type { Feedback } from './outcomes.js';

export interface PredictRequest {
  features: number[];
  id?: string;
}

const MAX_ID_LENGTH = 256;

export function parsePredictRequest(body: unknown, featureCount: number): PredictRequest {
  if (!isObject(body))
    throw bad(`request body must be a JSON object like {"features": [...]}, got ${kind(body)}`);
  rejectUnknownKeys(body, ['features', 'id'], '');
  const features = body.features;
  if (!Array.isArray(features)) {
    throw bad(`features: must be an array of ${featureCount} numbers, got ${kind(features)}`);
  }
  if (features.length !== featureCount) {
    throw bad(`features: must have ${featureCount} numbers, got ${features.length}`);
  }
  features.forEach((f, i) => {
    if (typeof f !== 'number' || !Number.isFinite(f)) {
      throw bad(`features[${i}]: must be a finite number, got ${preview(f)}`);
    }
  });
  const request: PredictRequest = { features: features as number[] };
  if (body.id !== undefined) {
    if (typeof body.id !== 'string' || body.id.length > MAX_ID_LENGTH) {
      throw bad(`id: must be a string of at most ${MAX_ID_LENGTH} characters, got ${kind(body.id)}`);
    }
    request.id = body.id;
  }
  return request;
}

/** Most instances a rolling pool may simulate; the config schema refuses more (rolling `instances`). */
export const MAX_INSTANCES = 100;

/** Shape and ranges of a TrafficState; whether the versions exist is checked by the caller. */
export function parseTrafficState(body: unknown): TrafficState {
  if (!isObject(body)) {
    throw bad(`request body must be a traffic state like {"stable": {"version": "v1"}}, got ${kind(body)}`);
  }
  rejectUnknownKeys(body, ['stable', 'canary', 'mirror', 'sticky', 'rolling'], '');
  const stable = body.stable;
  if (!isObject(stable)) throw bad(`stable: must be an object {"version": "..."}, got ${kind(stable)}`);
  rejectUnknownKeys(stable, ['version'], 'stable.');
  const state: TrafficState = { stable: { version: versionOf(stable.version, 'stable.version') } };
  // null is accepted as "absent", as clients serialising an optional field often send it.
  const present = (v: unknown) => v !== undefined && v !== null;
  if (present(body.canary)) {
    const canary = objectOf(body.canary, 'canary', '{"version": "...", "weight": 0..100}', [
      'version',
      'weight',
    ]);
    const weight = percentOf(canary.weight, 'canary.weight');
    state.canary = { version: versionOf(canary.version, 'canary.version'), weight };
  }
  if (present(body.mirror)) {
    const mirror = objectOf(body.mirror, 'mirror', '{"version": "...", "share": 0..100}', [
      'version',
      'share',
    ]);
    const share = percentOf(mirror.share, 'mirror.share');
    state.mirror = { version: versionOf(mirror.version, 'mirror.version'), share };
  }
  if (present(body.sticky)) {
    const sticky = objectOf(body.sticky, 'sticky', '{"header": "x-user-id"}', ['header']);
    const header = sticky.header;
    if (typeof header !== 'string' || !HEADER_NAME.test(header)) {
      throw bad(`sticky.header: must be an HTTP header name like "x-user-id", got ${preview(header)}`);
    }
    state.sticky = { header };
  }
  if (present(body.rolling)) {
    const rolling = objectOf(body.rolling, 'rolling', '{"version": "...", "instances": n, "replaced": k}', [
      'version',
      'instances',
      'replaced',
    ]);
    const instances = rolling.instances;
    if (!Number.isInteger(instances) || (instances as number) < 1 || (instances as number) > MAX_INSTANCES) {
      throw bad(
        `rolling.instances: must be a whole number from 1 to ${MAX_INSTANCES}, got ${preview(instances)}`,
      );
    }
    const replaced = rolling.replaced;
    if (
      !Number.isInteger(replaced) ||
      (replaced as number) < 0 ||
      (replaced as number) > (instances as number)
    ) {
      throw bad(
        `rolling.replaced: must be a whole number from 0 to rolling.instances (${instances}), got ${preview(replaced)}`,
      );
    }
    state.rolling = {
      version: versionOf(rolling.version, 'rolling.version'),
      instances: instances as number,
      replaced: replaced as number,
    };
    // A rolling release splits by instance: a weighted or sticky split on top would make the
    // canary slot mean two things at once.
    if (state.canary)
      throw bad('rolling: cannot be combined with canary (replaced instances are the canary slot)');
    if (state.sticky)
      throw bad('rolling: cannot be combined with sticky (requests go round-robin over instances)');
  }
  return state;
}

/** `{ id, label?: 0|1, converted?: boolean }`, reported after the prediction `id`. */
export function parseFeedback(body: unknown): Feedback {
  if (!isObject(body)) {
    throw bad(
      `request body must be feedback like {"id": "...", "label": 1, "converted": true}, got ${kind(body)}`,
    );
  }
  rejectUnknownKeys(body, ['id', 'label', 'converted'], '');
  if (typeof body.id !== 'string' || body.id === '' || body.id.length > MAX_ID_LENGTH) {
    throw bad(
      `id: must be the id sent with the prediction (1 to ${MAX_ID_LENGTH} characters), got ${kind(body.id)}`,
    );
  }
  const feedback: Feedback = { id: body.id };
  if (body.label !== undefined && body.label !== null) {
    if (body.label !== 0 && body.label !== 1) throw bad(`label: must be 0 or 1, got ${preview(body.label)}`);
    feedback.label = body.label;
  }
  if (body.converted !== undefined && body.converted !== null) {
    if (typeof body.converted !== 'boolean') {
      throw bad(`converted: must be true or false, got ${preview(body.converted)}`);
    }
    feedback.converted = body.converted;
  }
  return feedback;
}

/** RFC 9110 token characters: what a header name may contain. */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$/;

function objectOf(v: unknown, field: string, like: string, allowed: string[]): Record<string, unknown> {
  if (!isObject(v)) throw bad(`${field}: must be an object ${like}, got ${kind(v)}`);
  rejectUnknownKeys(v, allowed, `${field}.`);
  return v;
}

function percentOf(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) {
    throw bad(`${field}: must be a number of percent between 0 and 100, got ${preview(v)}`);
  }
  return v;
}

function versionOf(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw bad(`${field}: must be a non-empty string, got ${preview(v)}`);
  return v;
}

function rejectUnknownKeys(obj: Record<string, unknown>, allowed: string[], prefix: string): void {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) {
      throw bad(`${prefix}${key}: unknown field (allowed: ${allowed.map((a) => prefix + a).join(', ')})`);
    }
  }
}

const bad = (message: string) => new HttpError(400, message);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function kind(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'number' && !Number.isFinite(v)) return preview(v);
  return typeof v === 'object' ? 'an object' : `${typeof v} ${preview(v)}`;
}

/** A short, JSON-quoted rendering of a client value, so hostile input cannot flood the message. */
function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  // JSON reads a number beyond the double range (1e999) as ±Infinity, which JSON.stringify writes as null.
  if (typeof v === 'number' && !Number.isFinite(v)) {
    return Number.isNaN(v) ? 'NaN' : `a number too large (beyond ${v > 0 ? '' : '-'}1.8e308)`;
  }
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
