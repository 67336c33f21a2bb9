import { SpanKind, SpanStatusCode, trace, type Attributes } from '@opentelemetry/api';
import type { Telemetry } from 'bullmq';
import { BullMQOtel } from 'bullmq-otel';
import { buildInfo } from './version.js';

/**
 * Spans of Driftless's own work: the webhook, each sync stage. Until the composition root
 * registers an SDK (`src/cli/tracing.ts`, only when an OTLP endpoint is configured), the
 * OpenTelemetry API hands out no-op spans, so these calls cost next to nothing.
 */
export const tracer = trace.getTracer('driftless', buildInfo.version);

/**
 * Runs `work` in a span that is active for everything it awaits (queue adds, API calls), ends
 * it, and marks it failed (status ERROR, the exception recorded) if `work` throws, rethrowing.
 */
export function inSpan<T>(name: string, options: { kind?: SpanKind; attributes?: Attributes }, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes && { attributes: options.attributes }) }, async (span) => {
    try {
      return await work();
    } catch (err) {
      span.recordException(err instanceof Error ? err : String(err));
      span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Adds attributes (a job's delivery id, target, commit) to the span active now, if any. */
export function annotateActiveSpan(attributes: Attributes): void {
  trace.getActiveSpan()?.setAttributes(attributes);
}

let telemetry: Telemetry | undefined;

/**
 * Makes every queue and worker created from now on carry trace context through Redis (BullMQ's
 * `telemetry` option, with the bullmq-otel adapter): adding a job records the active context in
 * the job's options, and processing it continues that trace. Called once by the composition
 * root when tracing is on; the OpenTelemetry API itself is global in the same way.
 */
export function traceQueues(): void {
  telemetry = new BullMQOtel({ tracerName: 'bullmq', version: buildInfo.version });
}

/** The `telemetry` option for a BullMQ Queue or Worker: present only when tracing is on. */
export function queueTelemetry(): { telemetry?: Telemetry } {
  return telemetry ? { telemetry } : {};
}

export { SpanKind };
