/** The authorizer against the contract: @wharf/testkit's suite, as every authorizer runs it. */
import { describeAuthorizer, type AuthorizerSuiteOptions } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeAuthorizer('__NAME__', profile.authorizers!['__NAME__'] as AuthorizerSuiteOptions);
