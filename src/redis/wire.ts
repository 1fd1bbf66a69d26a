import { createHmac, timingSafeEqual } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { WireError } from '../codec/errors.js';
import type { TaskDef } from '../tasks/types.js';

/**
 * What travels through Redis. A job is one scheduler batch (many tasks); its data is JSON, as
 * BullMQ stores it, with the batch itself as one base64 blob of `v8.serialize`, so arguments
 * keep structured-clone semantics (Map, Date, typed arrays, cycles) across machines. Replies
 * are pushed by the worker onto the caller's own list, not carried in BullMQ's events, which
 * are trimmed under load.
 */

/** A job's data as BullMQ stores it. */
export interface JobData {
  /** wire version */
  v: 1;
  /** the caller's reply list */
  r: string;
  /** base64 of v8.serialize(JobPayload) */
  p: string;
  /** re-runs allowed after the worker running the job died */
  m: number;
  /** hex HMAC-SHA256 of the above and the job id, when the caller has a secret */
  s?: string;
}

export interface JobPayload {
  defs: Array<[number, TaskDef]>;
  /** flat `[id, fnId, kind, args, …]`, as the protocol's `run` */
  tasks: unknown[];
}

/** What a worker answers: results of the whole job, or why it did not run. */
export interface ReplyBody {
  /** flat `[id, status, value, runMs, …]` */
  results?: unknown[];
  busyMs?: number;
  error?: WireError;
  /** the worker has no secret, so a signing caller must not trust these results */
  unsigned?: boolean;
}

interface ReplyEnvelope {
  j: string;
  p: Uint8Array;
  s?: string;
}

export function secretFrom(option: string | undefined): string | undefined {
  const secret = option ?? process.env.SPINDLE_SECRET;
  return secret ? secret : undefined;
}

/** Keys of reply lists live under the queue's prefix, so a job cannot aim a worker's writes elsewhere. */
export function replyKeyPrefix(prefix: string, queue: string): string {
  return `${prefix}:${queue}:spindle-reply:`;
}

export function encodeJob(
  jobId: string,
  replyKey: string,
  payload: JobPayload,
  crashRetries: number,
  secret: string | undefined,
): JobData {
  // v8.serialize throws synchronously on a function or similar, as postMessage does, which
  // the scheduler turns into a CloneError for just the task at fault.
  const p = serialize(payload).toString('base64');
  const data: JobData = { v: 1, r: replyKey, p, m: crashRetries };
  if (secret) data.s = signJob(secret, jobId, data);
  return data;
}

export function signJob(secret: string, jobId: string, data: JobData): string {
  return createHmac('sha256', secret)
    .update(`spindle-job/1\n${jobId}\n${data.r}\n${data.m}\n`)
    .update(data.p)
    .digest('hex');
}

export function decodePayload(data: JobData): JobPayload {
  return deserialize(Buffer.from(data.p, 'base64')) as JobPayload;
}

export function isJobData(data: unknown): data is JobData {
  const d = data as JobData;
  return (
    d !== null &&
    typeof d === 'object' &&
    d.v === 1 &&
    typeof d.r === 'string' &&
    typeof d.p === 'string' &&
    typeof d.m === 'number' &&
    (d.s === undefined || typeof d.s === 'string')
  );
}

export function sameSignature(expected: string, given: string | undefined): boolean {
  if (given === undefined || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected), Buffer.from(given));
}

export function encodeReply(jobId: string, body: ReplyBody, secret: string | undefined): Buffer {
  const p = serialize(body);
  const envelope: ReplyEnvelope = { j: jobId, p };
  if (secret) envelope.s = signReply(secret, jobId, p);
  return serialize(envelope);
}

function signReply(secret: string, jobId: string, body: Uint8Array): string {
  return createHmac('sha256', secret)
    .update(`spindle-reply/1\n${jobId}\n`)
    .update(body)
    .digest('hex');
}

/** A reply as the caller reads it; `trusted` says whether its signature checked out. */
export function decodeReply(
  bytes: Buffer,
  secret: string | undefined,
): { jobId: string; body: ReplyBody; trusted: boolean } {
  const envelope = deserialize(bytes) as ReplyEnvelope;
  const body = deserialize(envelope.p) as ReplyBody;
  const trusted = secret
    ? sameSignature(signReply(secret, envelope.j, envelope.p), envelope.s)
    : true;
  return { jobId: envelope.j, body, trusted };
}
