import * as z from 'zod/mini'

/** The ids of a target's instances, e.g. `"${{ targets.web.instances }}"`. */
export const InstanceIds = z
  .array(
    z
      .string()
      .check(z.regex(/^i-[0-9a-f]{8,17}$/, { error: 'an EC2 instance id looks like i-0123456789abcdef0' })),
  )
  .check(
    z.minLength(1, { error: 'instances lists at least one instance id' }),
    z.maxLength(1000, { error: 'instances lists at most 1000 instance ids' }),
    z.refine((ids) => new Set(ids).size === ids.length, { error: 'instances lists an id twice' }),
    z.describe('EC2 instance ids, e.g. "${{ targets.web.instances }}" (1 to 1000)'),
  )
