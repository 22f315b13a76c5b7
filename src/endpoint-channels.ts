/**
 * A collection's `from: server` http:// endpoints, fetched by the runner over channels of the
 * server's own SSH connection (sshd connects from the server, as curl did there): the server
 * starts no curl for them. Each channel is asked for as soon as the server is connected, before
 * the collector script; the script is built when the session is ready to read it, by which time
 * the server has answered every earlier channel open in order. Endpoints whose forward the server
 * refused (AllowTcpForwarding no, DisableForwarding yes, PermitOpen) go to curl in that same script;
 * the others' outcomes are added to the endpoints section as the blocks curl's would have been.
 */
import type { ServerConfig } from './config/schema.js';
import {
  type ChannelHttp,
  type ChannelResponse,
  ForwardError,
  type RemoteShell,
} from './core/ports/index.js';
import type { Section } from './probes/collector-script.js';
import { channelBlock, forwardTarget, overChannel, serverEndpoints } from './probes/endpoints.js';

export interface EndpointChannel {
  /** the endpoint's index among the server's `from: server` endpoints */
  index: number;
  /** the server will not forward: this endpoint goes to curl */
  refused: boolean;
  response: Promise<ChannelResponse>;
}

/** Asks for a channel per eligible endpoint; none when the shell cannot forward (local) or no HTTP client is given. */
export function openEndpointChannels(
  server: ServerConfig,
  shell: RemoteShell,
  http: ChannelHttp | undefined,
): EndpointChannel[] {
  if (!http || !shell.forward) return [];
  return serverEndpoints(server).flatMap((endpoint, index) => {
    if (!overChannel(endpoint)) return [];
    const started = performance.now();
    const { host, port } = forwardTarget(endpoint.url);
    const opening =
      shell.forward?.(host, port) ?? Promise.reject(new ForwardError('no forwarding', 'prohibited'));
    const channel: EndpointChannel = { index, refused: false, response: http(endpoint, opening, started) };
    opening.catch((error: unknown) => {
      if (!(error instanceof ForwardError) || error.kind === 'prohibited') channel.refused = true;
    });
    return [channel];
  });
}

/** The endpoints the runner keeps (decided once, when the script is built). */
export const keptChannels = (channels: readonly EndpointChannel[]): ReadonlySet<number> =>
  new Set(channels.filter((c) => !c.refused).map((c) => c.index));

/** Adds the kept channels' blocks to the endpoints section, once each transfer has ended (each is bounded by its timeout). */
export async function withChannelBlocks(
  sections: Map<string, Section>,
  server: ServerConfig,
  channels: readonly EndpointChannel[],
  kept: ReadonlySet<number>,
): Promise<void> {
  const section = sections.get('endpoints');
  // no section (the collection failed): nothing to wait for; each transfer ends at its deadline
  if (!section) return;
  const endpoints = serverEndpoints(server);
  const blocks = await Promise.all(
    channels
      .filter((c) => kept.has(c.index))
      .map(async (c) => {
        const endpoint = endpoints[c.index];
        return endpoint ? channelBlock(c.index, endpoint, await c.response) : '';
      }),
  );
  if (blocks.length === 0) return;
  sections.set('endpoints', { ...section, output: [section.output, ...blocks].filter(Boolean).join('\n') });
}
