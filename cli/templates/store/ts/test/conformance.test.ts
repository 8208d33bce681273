/** The store against the Store contract: @wharf/testkit's suite, as every store runs it. */
import { describeStore, type StoreSuiteOptions } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeStore('__NAME__', profile.stores!['__NAME__'] as StoreSuiteOptions);
