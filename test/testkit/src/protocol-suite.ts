/**
 * What both profiles of the protocol-adapter suite share: the options, the broker every test
 * starts (a real TCP listener for the adapter on port 0, the test security plugin, one queue, topic
 * and pubsub prefix), the users, and the check that bytes which are not the protocol at all end the
 * connection without leaving a session behind.
 */
import { connect as connectTcp } from 'node:net';
import type { Broker, PluginEntry } from '@wharf/core';
import { startTestBroker } from './harness.js';
import type { ProtocolTestCredentials, ProtocolTestDriver } from './protocol-driver.js';
import type { RequestResponseTestDriver } from './protocol-request-driver.js';
import { TEST_USERS, testSecurityPlugin } from './test-security.js';

interface CommonSuiteOptions {
  /**
   * The plugins to load: the adapter under test and queue types named `queue`, `topic` and
   * `pubsub` (the first-party `@wharf/queue-*` packages). The suite adds its security plugin.
   */
  readonly plugins: readonly PluginEntry[];
  /** The protocol name the adapter registers (a listener's `protocol`). */
  readonly protocol: string;
  /** The listener's `options`, checked against the adapter's schema. */
  readonly listenerOptions?: Record<string, unknown>;
  /** Folder relative plugin paths are resolved from. */
  readonly configDir?: string;
  /** Longest wait for anything the broker should do (ms); default 5000. */
  readonly timeoutMs?: number;
}

/** A protocol whose client connection stays open and gets messages pushed (STOMP, JSONL): the default. */
export interface StreamingSuiteOptions extends CommonSuiteOptions {
  readonly profile?: 'streaming';
  readonly driver: ProtocolTestDriver;
  /** Enough bytes to fill socket buffers and the adapter's write buffer; default 320 × 64 KiB. */
  readonly backpressure?: { readonly messages?: number; readonly bodyBytes?: number };
}

/** A protocol of single requests, each its own session (HTTP publish/poll). */
export interface RequestResponseSuiteOptions extends CommonSuiteOptions {
  readonly profile: 'request-response';
  readonly driver: RequestResponseTestDriver;
}

export type ProtocolAdapterSuiteOptions = StreamingSuiteOptions | RequestResponseSuiteOptions;

export const ALICE: ProtocolTestCredentials = { login: 'alice', passcode: TEST_USERS.alice!.passcode };
export const GUEST: ProtocolTestCredentials = { login: 'guest', passcode: TEST_USERS.guest!.passcode };
export const WRONG_PASSCODE: ProtocolTestCredentials = { login: 'alice', passcode: 'wrong' };
export const UNKNOWN_USER: ProtocolTestCredentials = { login: 'mallory', passcode: 'wrong' };
/** How long "nothing arrives" is watched for. */
export const QUIET_MS = 250;
export const PUBSUB = '/pubsub/conformance';
export const PUBSUB_QUEUE = '/queue/conformance-copies';
export const PUBSUB_TOPIC = '/topic/conformance-copies';

export function startSuiteBroker(options: CommonSuiteOptions): Promise<Broker> {
  return startTestBroker({
    plugins: [...options.plugins, testSecurityPlugin()],
    listeners: [{ protocol: options.protocol, transport: 'tcp', host: '127.0.0.1', port: 0, options: options.listenerOptions ?? {} }],
    routing: { rules: [], prefixes: { '/queue/': 'queue', '/topic/': 'topic', '/pubsub/': 'pubsub' }, fallback: 'reject' },
    pubsub: { [PUBSUB]: { children: [PUBSUB_QUEUE, PUBSUB_TOPIC] } },
  }, options.configDir ? { configDir: options.configDir } : {});
}

/** Not any protocol: bytes no parser accepts, ended by what ends a line, a header block and a STOMP frame. */
const GARBAGE = Buffer.concat([Buffer.from([0xff, 0xfe, 0x01]), Buffer.from(' not-a-frame {\r\n\r\n\n\0')]);

/**
 * Opens a TCP connection, writes GARBAGE and resolves once the server closed the connection
 * (whatever it answered first); rejects if it is still open after `ms`.
 */
export function garbageIsClosed(port: number, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the connection stayed open ${ms} ms after bytes that are not the protocol`));
    }, ms);
    socket.on('error', () => undefined); // a reset is a close too
    socket.on('data', () => undefined); // read (and drop) the answer, so the close is seen
    socket.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.write(GARBAGE);
  });
}
