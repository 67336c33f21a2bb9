import { Receiver } from './receiver.js';

/** One span as an OTLP/HTTP JSON export carries it, with its resource's `service.name`. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number;
  attributes: Record<string, string | number | boolean>;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  statusCode: number;
}

interface AnyValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: { key: string; value: AnyValue }[] };
    scopeSpans?: { spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: { key: string; value: AnyValue }[]; status?: { code?: number } }[] }[];
  }[];
}

const valueOf = (v: AnyValue): string | number | boolean => v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue ?? ''));
const attributesOf = (list: { key: string; value: AnyValue }[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

/**
 * A local OTLP/HTTP trace receiver (the collector's `/v1/traces` endpoint, JSON encoding): point
 * `OTEL_EXPORTER_OTLP_ENDPOINT` at `endpoint` and read what arrived from `spans()`.
 */
export class OtlpReceiver {
  private constructor(private readonly receiver: Receiver) {}

  static async start(): Promise<OtlpReceiver> {
    return new OtlpReceiver(await Receiver.start());
  }

  /** The base URL; exporters append `/v1/traces`. */
  get endpoint(): string {
    return this.receiver.url('');
  }

  /** Every span exported so far, in arrival order. A body that is not OTLP JSON fails the test. */
  spans(): ReceivedSpan[] {
    return this.receiver.requests
      .filter((r) => r.path === '/v1/traces')
      .flatMap((r) =>
        ((JSON.parse(r.body) as ExportRequest).resourceSpans ?? []).flatMap((rs) => {
          const service = String(attributesOf(rs.resource?.attributes)['service.name']);
          return (rs.scopeSpans ?? []).flatMap((ss) =>
            (ss.spans ?? []).map((s) => ({
              service,
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId && { parentSpanId: s.parentSpanId }),
              name: s.name,
              kind: s.kind,
              attributes: attributesOf(s.attributes),
              statusCode: s.status?.code ?? 0,
            })),
          );
        }),
      );
  }

  close(): Promise<void> {
    return this.receiver.close();
  }
}
