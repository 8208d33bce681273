/** The store against the Store contract: @wharf/testkit's suite, as every store runs it. */
import { describeStore } from '@wharf/testkit';
import profile from '../src/conformance.js';

describeStore('__NAME__', /** @type {import('@wharf/testkit').StoreSuiteOptions} */ (profile.stores?.['__NAME__']));
