/** The authorizer against the contract: @wharf/testkit's suite, as every authorizer runs it. */
import { describeAuthorizer } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeAuthorizer('__NAME__', /** @type {import('@wharf/testkit').AuthorizerSuiteOptions} */ (profile.authorizers?.['__NAME__']));
