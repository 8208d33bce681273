/** `wharf start`: runs the broker until SIGINT or SIGTERM, then shuts it down cleanly. */
import { createLogger, type Logger } from '@wharf/core';
import pretty from 'pino-pretty';
import { loadBrokerConfig, prepareBroker, type ConfigOption } from '../load.js';

function makeLogger(level: string): Logger {
  // People watching a terminal get readable lines; pipes and log collectors get JSON.
  return process.stdout.isTTY ? createLogger(level, pretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l' })) : createLogger(level);
}

export async function start(options: ConfigOption): Promise<number> {
  const loaded = await loadBrokerConfig(options);
  const logger = makeLogger(loaded.config.log.level);
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
