/** The authenticator against the chain's contract: @wharf/testkit's suite, as every authenticator runs it. */
import { describeAuthenticator } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeAuthenticator('__NAME__', /** @type {import('@wharf/testkit').AuthenticatorSuiteOptions} */ (profile.authenticators?.['__NAME__']));
