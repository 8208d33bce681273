/**
 * Turns one line into a checked request, or throws the error the client gets before the close:
 * malformed JSON, not an object, an unknown op, a missing, mistyped or unknown field.
 */
import type { FieldSpec, OpHandler, Request } from './ops/op.js';
import { ops } from './ops/index.js';
import { protocolError } from './errors.js';

const ACK_MODES: ReadonlySet<unknown> = new Set(['auto', 'client', 'client-individual']);
const OP_NAMES = [...ops.keys()].join(', ');

export interface ParsedRequest {
  readonly handler: OpHandler;
  readonly request: Request;
}

export function parseRequest(line: Buffer): ParsedRequest {
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (err) {
    throw protocolError(`malformed JSON: ${(err as Error).message}`, 'send one JSON object per line, each ended by a newline');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw protocolError('a request must be a JSON object', 'send {"op": ..., ...} on each line');
  }
  const request = value as Record<string, unknown>;
  const op = request.op;
  if (op === undefined) throw protocolError('missing field "op"', `every request names its op: ${OP_NAMES}`);
  const handler = typeof op === 'string' ? ops.get(op) : undefined;
  if (handler === undefined) throw protocolError(`unknown op ${JSON.stringify(op)}`, `the ops are ${OP_NAMES}`);
  for (const name of Object.keys(request)) {
    if (name !== 'op' && !Object.hasOwn(handler.fields, name)) {
      throw protocolError(`unknown field "${name}" in ${op}`, `${op} takes: ${Object.keys(handler.fields).join(', ') || 'no fields'}`);
    }
  }
  for (const [name, spec] of Object.entries(handler.fields)) {
    const field = request[name];
    if (field === undefined) {
      if (spec.required) throw protocolError(`missing field "${name}" in ${op}`, `add "${name}" to the ${op} request`);
      continue;
    }
    const problem = check(spec, field);
    if (problem !== undefined) throw protocolError(`field "${name}" of ${op} must be ${problem}`);
  }
  return { handler, request: request as Request };
}

/** What `value` should have been, or undefined when it fits. */
function check(spec: FieldSpec, value: unknown): string | undefined {
  switch (spec.type) {
    case 'name':
      return typeof value === 'string' && value.length > 0 ? undefined : 'a non-empty string';
    case 'string':
      return typeof value === 'string' ? undefined : 'a string';
    case 'count':
      return Number.isSafeInteger(value) && (value as number) >= 0 ? undefined : 'a whole number >= 0';
    case 'boolean':
      return typeof value === 'boolean' ? undefined : 'true or false';
    case 'ack-mode':
      return ACK_MODES.has(value) ? undefined : 'one of "auto", "client", "client-individual"';
    case 'headers':
      return isHeaders(value) ? undefined : 'an object whose values are strings';
  }
}

function isHeaders(value: unknown): boolean {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  for (const [name, text] of Object.entries(value)) if (name.length === 0 || typeof text !== 'string') return false;
  return true;
}
