/**
 * One request limit as a Fastify hook, on @fastify/rate-limit's counters (`createRateLimit`).
 * Its own route hooks run only the first limit a request meets; a report or a sign-in must pass
 * several (per address, per network, in total; per client, per account), so each is a hook here.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface Limit {
  max: number;
  windowMs: number;
  key: (request: FastifyRequest) => string;
  /** The refusal, given the seconds until the window ends. */
  message: (seconds: number) => string;
  onExceeded?: () => void;
}

export class LimitExceeded extends Error {
  readonly statusCode = 429;
}

export function limitHook(app: FastifyInstance, limit: Limit) {
  const check = app.createRateLimit({
    max: limit.max,
    timeWindow: limit.windowMs,
    keyGenerator: limit.key,
  });
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const result = await check(request);
    if (result.isAllowed || !result.isExceeded) return;
    limit.onExceeded?.();
    reply.header('retry-after', String(result.ttlInSeconds));
    throw new LimitExceeded(limit.message(result.ttlInSeconds));
  };
}
