/**
 * What a login and a password must be to reach the broker at all. STOMP sends them as the `login`
 * and `passcode` header lines of CONNECT, which carry no escaping (STOMP 1.2, "Value Encoding":
 * CONNECT and CONNECTED frames are not escaped), so CR, LF and NUL can never be sent; and a header
 * line is bounded by protocol-stomp's `maxHeaderLineBytes` (8,192 by default), less before login.
 * The limits below fit well inside any of those, so a user `wharf users add` accepts can log in.
 */

/** The longest password, in bytes of UTF-8. */
export const MAX_PASSWORD_BYTES = 1024;
/**
 * The longest user name, in bytes: names are 1 to 64 ASCII characters of a safe set (names.ts),
 * which any STOMP login header carries.
 */
export const MAX_USER_NAME_BYTES = 64;

/** @returns why no client could send this password, or undefined when one can. Never quotes it. */
export function passwordLimitProblem(password: string): string | undefined {
  if (/[\r\n\0]/.test(password)) return 'the password holds a carriage return, newline or NUL, which a STOMP passcode header cannot carry';
  const bytes = Buffer.byteLength(password, 'utf8');
  if (bytes > MAX_PASSWORD_BYTES) {
    return `the password is ${bytes} bytes of UTF-8; the limit is ${MAX_PASSWORD_BYTES}, so that it fits a STOMP passcode header (docs/security.md)`;
  }
  return undefined;
}
