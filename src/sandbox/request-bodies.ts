/** Request bodies turned into typed values at the edge; every message names the field and value. */
import type { TrafficState } from '../core/traffic.js';
import { HttpError } from './http-io.js';

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

/** Shape and ranges of a TrafficState; whether the versions exist is checked by the caller. */
export function parseTrafficState(body: unknown): TrafficState {
  if (!isObject(body)) {
    throw bad(`request body must be a traffic state like {"stable": {"version": "v1"}}, got ${kind(body)}`);
  }
  rejectUnknownKeys(body, ['stable', 'canary'], '');
  const stable = body.stable;
  if (!isObject(stable)) throw bad(`stable: must be an object {"version": "..."}, got ${kind(stable)}`);
  rejectUnknownKeys(stable, ['version'], 'stable.');
  const state: TrafficState = { stable: { version: versionOf(stable.version, 'stable.version') } };
  // null is accepted as "no canary", as clients serialising an optional field often send it.
  if (body.canary === undefined || body.canary === null) return state;
  const canary = body.canary;
  if (!isObject(canary)) {
    throw bad(`canary: must be an object {"version": "...", "weight": 0..100}, got ${kind(canary)}`);
  }
  rejectUnknownKeys(canary, ['version', 'weight'], 'canary.');
  const weight = canary.weight;
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0 || weight > 100) {
    throw bad(`canary.weight: must be a number of percent between 0 and 100, got ${preview(weight)}`);
  }
  state.canary = { version: versionOf(canary.version, 'canary.version'), weight };
  return state;
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
  return typeof v === 'object' ? 'an object' : `${typeof v} ${preview(v)}`;
}

/** A short, JSON-quoted rendering of a client value, so hostile input cannot flood the message. */
function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
