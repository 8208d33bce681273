/**
 * The names `${user}` and `${group}` may stand for: 1 to 64 ASCII letters, digits, `_` and `-`
 * (the set @wharf/security-users enforces, plugins/security-users/src/names.ts; docs/security.md,
 * "User names and home destinations").
 *
 * A principal can come from any authenticator (LDAP, tokens...), not only the users file, so the
 * ACL checks again: a name outside the set is never substituted, and a placeholder rule gives it
 * nothing. That is what makes `^/queue/home\.${user}\.` safe: the name cannot contain the `.` that
 * ends it, so for two different names neither area is a prefix of the other.
 */
export const PLACEHOLDER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

export function isPlaceholderName(name: string): boolean {
  return PLACEHOLDER_NAME.test(name);
}
