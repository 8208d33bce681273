/**
 * The safe set for user and group names (docs/security.md, "User names and home destinations"):
 * 1 to 64 ASCII letters, digits, `_` and `-`.
 *
 * Why so narrow: ACL rules put names into destinations (`^/queue/home\.${user}\.`), and
 * destination names use `.` (and `/`) as delimiters. A name that may contain the delimiter lets one
 * user's area be a prefix of another's: `home.bob.` is a prefix of `home.bob.x.`, so bob could read
 * bob.x's queue. With no delimiter, space, `:` or `$` in a name, two different names can never give
 * overlapping areas, and names survive headers, logs and YAML keys unquoted. @wharf/security-acl
 * keeps the same set (plugins/security-acl/src/names.ts) and never substitutes a name outside it.
 */

/** The name rule, as a regular expression (anchored). */
export const SAFE_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** The principal name given to clients let in without credentials; no user may take it. */
export const ANONYMOUS_NAME = 'anonymous';

const RULE = '1 to 64 letters (A-Z, a-z), digits, "_" or "-"';

export function isSafeName(name: string): boolean {
  return SAFE_NAME.test(name);
}

/** Why `name` cannot be a user name, or undefined when it can. */
export function checkUserName(name: string): string | undefined {
  if (name === ANONYMOUS_NAME) return `"${ANONYMOUS_NAME}" is reserved for clients without credentials`;
  if (!isSafeName(name)) return `"${printable(name)}" is not a valid user name: a user name is ${RULE} (no ".", which would let one user's home area contain another's)`;
  return undefined;
}

/** Why `name` cannot be a group name, or undefined when it can. */
export function checkGroupName(name: string): string | undefined {
  if (isSafeName(name)) return undefined;
  return `${name === '*' ? '"*"' : `"${printable(name)}"`} is not a valid group name: a group name is ${RULE}`;
}

/** The name as it can be shown in an error: bounded, control characters escaped. */
function printable(name: string): string {
  const short = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  return JSON.stringify(short).slice(1, -1);
}
