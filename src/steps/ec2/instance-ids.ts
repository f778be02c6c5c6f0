import * as z from 'zod/mini'

const idList = (id: z.ZodMiniString<string>, description: string) =>
  z.array(id).check(
    z.minLength(1, { error: 'instances lists at least one instance id' }),
    z.maxLength(1000, { error: 'instances lists at most 1000 instance ids' }),
    z.refine((ids) => new Set(ids).size === ids.length, { error: 'instances lists an id twice' }),
    z.describe(description),
  )

/** The ids of a target's EC2 instances, e.g. `"${{ targets.web.instances }}"`. */
export const InstanceIds = idList(
  z
    .string()
    .check(z.regex(/^i-[0-9a-f]{8,17}$/, { error: 'an EC2 instance id looks like i-0123456789abcdef0' })),
  'EC2 instance ids, e.g. "${{ targets.web.instances }}" (1 to 1000)',
)

/**
 * The ids of machines SSM runs commands on: EC2 instances, or on-premises servers registered with
 * SSM as managed instances (mi-...), which is how the on-prem side of a migration is reached.
 */
export const ManagedInstanceIds = idList(
  z.string().check(
    z.regex(/^(i-[0-9a-f]{8,17}|mi-[0-9a-f]{17})$/, {
      error:
        'an instance id looks like i-0123456789abcdef0, or mi-0123456789abcdef0 for an on-premises server',
    }),
  ),
  'EC2 instance ids or SSM managed instance ids (mi-...), e.g. "${{ targets.web.instances }}" (1 to 1000)',
)
