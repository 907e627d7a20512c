import { startGateway } from '../../gateway/gateway.js';
import { isPort, readGatewayConfig } from '../../gateway/gateway-config.js';
import { parseFlags, requireFlag } from '../parse-flags.js';
import { UsageError } from '../usage-error.js';

export const GATEWAY_USAGE = 'tessera gateway --config FILE [--port N]';

/**
 * Runs the authenticating reverse proxy until SIGTERM or SIGINT, then lets requests in
 * flight finish and exits 0.
 *
 * @example await gatewayCommand(['--config', './gateway.json', '--port', '8081']);
 */
export async function gatewayCommand(args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    port: { type: 'string' },
  });
  const file = requireFlag(values.config, 'config');
  let port: number | undefined;
  if (values.port !== undefined) {
    port = /^\d{1,5}$/.test(values.port) ? Number(values.port) : Number.NaN;
    if (!isPort(port)) throw new UsageError('--port must be a whole number from 0 to 65535');
  }
  const config = readGatewayConfig(file);
  // Why before starting: a signal sent the moment the URL line is read must not find the
  // default handler, which kills the process without letting requests finish.
  const stopped = new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
  });
  const gateway = await startGateway(
    port === undefined ? config : { ...config, listen: { ...config.listen, port } },
  );
  process.stdout.write(
    `Tessera gateway listening on ${gateway.url}\nupstream: ${config.upstream}\nissuer: ${config.issuer}\n`,
  );
  await stopped;
  gateway.logger.info('shutting down');
  await gateway.close();
  return 0;
}
