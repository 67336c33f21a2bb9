import { SpanKind } from '@opentelemetry/api';
import type { Sampler, SamplingDecision } from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../log.js';
import { traceQueues } from '../tracing.js';
import { buildInfo } from '../version.js';

/** Flushes the spans still buffered and stops exporting; safe to call once on shutdown. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/**
 * Keeps every trace that starts with work (a webhook, a job taken from a queue) and drops
 * traces that would start with BullMQ's housekeeping: a worker polls, checks for stalled jobs
 * and closes in INTERNAL spans, and on their own those are one root span every few seconds
 * that says nothing. Children follow their parent's decision (ParentBasedSampler).
 */
function workRootSampler({ NOT_RECORD, RECORD_AND_SAMPLED }: typeof SamplingDecision): Sampler {
  return {
    shouldSample: (_context, _traceId, _name, kind) => ({ decision: kind === SpanKind.INTERNAL ? NOT_RECORD : RECORD_AND_SAMPLED }),
    toString: () => 'WorkRootSampler',
  };
}

/**
 * Starts OpenTelemetry tracing for this process when an OTLP endpoint is configured through the
 * standard environment (`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`, or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * to which `/v1/traces` is appended; headers in `OTEL_EXPORTER_OTLP_HEADERS`), and
 * `OTEL_SDK_DISABLED` is not `true`; otherwise resolves undefined, and the SDK is not even loaded.
 * Spans go out as OTLP/HTTP JSON in batches. `service` is the default `service.name`
 * (`OTEL_SERVICE_NAME` overrides it), e.g. `driftless-web`, `driftless-worker`.
 * Source: the OpenTelemetry SDK environment variable specification.
 */
export async function startTracing(service: string, log: Logger, env: NodeJS.ProcessEnv = process.env): Promise<Tracing | undefined> {
  const endpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (!endpoint || env.OTEL_SDK_DISABLED === 'true') return undefined;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BatchSpanProcessor, ParentBasedSampler, SamplingDecision: decisions }, { NodeTracerProvider }, { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
    import('@opentelemetry/sdk-trace-node'),
    import('@opentelemetry/semantic-conventions'),
  ]);
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME ?? service, [ATTR_SERVICE_VERSION]: buildInfo.version }),
    sampler: new ParentBasedSampler({ root: workRootSampler(decisions) }),
    spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())],
  });
  // the global provider, AsyncLocalStorage context and W3C trace-context propagation
  provider.register();
  traceQueues();
  log.info({ endpoint, service: env.OTEL_SERVICE_NAME ?? service }, 'tracing: exporting spans over OTLP/HTTP');
  return {
    shutdown: () => provider.shutdown().catch((err: unknown) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'tracing: could not flush the last spans')),
  };
}
