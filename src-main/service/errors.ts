/**
 * Errors as the contract carries them (ApiErrorPayload): a code, a message, and per-field issues
 * for forms. IPC and HTTP both answer with errorPayload(), so the renderer sees the same error
 * whichever transport it runs on.
 */
import type { ApiErrorPayload, CallOutcome, Channel } from '../contract/api';
import { ConfigError, type ConfigIssue } from '../contract/config';
import { StoreError } from '../store/database';

export class ServiceError extends Error {
  constructor(
    message: string,
    readonly code: 'not-found' | 'invalid' | 'conflict' | 'cancelled',
    readonly issues: ConfigIssue[] = [],
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}

const USER_INPUT_ERRORS = new Set(['ImportInputError', 'DatasetNameError', 'CheckpointError']);

export function errorPayload(e: unknown): ApiErrorPayload {
  if (e instanceof ConfigError) return { code: 'invalid', message: e.message, issues: e.issues };
  if (e instanceof ServiceError) return { code: e.code, message: e.message, issues: e.issues };
  if (e instanceof StoreError) return { code: e.code, message: e.message, issues: [] };
  // The data layer's refusals of user input (by name: the service must not load the importers).
  if (e instanceof Error && USER_INPUT_ERRORS.has(e.name))
    return { code: 'invalid', message: e.message, issues: [] };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e), issues: [] };
}

/** A call's result or its error payload: what the desktop transport sends back over IPC. */
export async function callOutcome(
  service: { call(channel: Channel, args: unknown[]): Promise<unknown> },
  channel: Channel,
  args: unknown[],
): Promise<CallOutcome<unknown>> {
  try {
    return { ok: true, result: await service.call(channel, args) };
  } catch (e) {
    return { ok: false, error: errorPayload(e) };
  }
}
