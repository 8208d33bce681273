/** The authenticator against the chain's contract: @wharf/testkit's suite, as every authenticator runs it. */
import { describeAuthenticator, type AuthenticatorSuiteOptions } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeAuthenticator('__NAME__', profile.authenticators!['__NAME__'] as AuthenticatorSuiteOptions);
