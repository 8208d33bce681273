/** `wharf start`: runs the broker until SIGINT or SIGTERM, then shuts it down cleanly. */
import { createLogger, type Logger } from '@wharf/core';
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

async function makeLogger(level: string): Promise<Logger> {
  // People watching a terminal get readable lines; pipes and log collectors get JSON. pino-pretty
  // is loaded only for a terminal: a broker whose output is piped keeps it out of its heap.
  if (!process.stdout.isTTY) return createLogger(level);
  const { default: pretty } = await import('pino-pretty');
  return createLogger(level, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' }));
}

export async function start(options: ConfigOption): Promise<number> {
  const loaded = await loadBrokerConfig(options);
  const logger = await makeLogger(loaded.config.log.level);
  logger.info({ config: loaded.filepath, shippedDefault: loaded.isDefault }, 'configuration loaded');
  const broker = await prepareBroker(loaded, logger);

  // Signals are watched before the broker starts, so one that arrives while it starts is honoured.
  let signalled: (signal: NodeJS.Signals) => void = () => undefined;
  const stopRequested = new Promise<NodeJS.Signals>((resolve) => { signalled = resolve; });
  process.once('SIGINT', signalled);
  process.once('SIGTERM', signalled);
  // With no listener nothing else keeps Node's event loop alive: hold it until a signal.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  try {
    await broker.start();
    const signal = await stopRequested;
    logger.info({ signal }, 'shutting down');
    await broker.stop();
    return 0;
  } catch (err) {
    await broker.stop();
    throw err;
  } finally {
    clearInterval(keepAlive);
    process.off('SIGINT', signalled);
    process.off('SIGTERM', signalled);
  }
}
