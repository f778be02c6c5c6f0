import { ServiceError } from './service-error.js'

export interface Page<T> {
  items: T[]
  nextToken: string | undefined
}

/**
 * Offset tokens, bound to the query they came from: a token replayed against a different
 * query is refused as the real services refuse a stale token.
 */
export function paginate<T>(
  all: T[],
  options: { pageSize: number; token: string | undefined; query: string; invalidToken: () => ServiceError },
): Page<T> {
  const start = options.token === undefined || options.token === '' ? 0 : readToken(options.token, options)
  const items = all.slice(start, start + options.pageSize)
  const next = start + items.length
  return { items, nextToken: next < all.length ? writeToken(next, options.query) : undefined }
}

const writeToken = (offset: number, query: string): string =>
  Buffer.from(JSON.stringify({ offset, query })).toString('base64url')

function readToken(token: string, options: { query: string; invalidToken: () => ServiceError }): number {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))
    if (typeof parsed === 'object' && parsed !== null && 'offset' in parsed && 'query' in parsed) {
      const { offset, query } = parsed
      if (query === options.query && typeof offset === 'number' && Number.isInteger(offset) && offset >= 0)
        return offset
    }
  } catch {
    // falls through to the service's own refusal
  }
  throw options.invalidToken()
}

/** A query service's page: `size` (from the request's page-size member) checked against 1..max first. */
export function pageWithin<T>(
  all: T[],
  options: {
    size: number
    max: number
    member: string
    token: string | undefined
    query: unknown
    invalidToken: () => ServiceError
  },
): Page<T> {
  if (options.size < 1 || options.size > options.max)
    throw new ServiceError(
      400,
      'ValidationError',
      `1 validation error detected: Value '${options.size}' at '${options.member}' failed to satisfy constraint: Member must have value between 1 and ${options.max}`,
    )
  return paginate(all, {
    pageSize: options.size,
    token: options.token,
    query: JSON.stringify(options.query),
    invalidToken: options.invalidToken,
  })
}
