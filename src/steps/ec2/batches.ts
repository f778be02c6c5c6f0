/** Splits ids into the batches an EC2 call accepts (DescribeInstanceStatus takes at most 100). */
export function inBatches<T>(items: readonly T[], size: number): T[][] {
  const batches: T[][] = []
  for (let i = 0; i < items.length; i += size) batches.push(items.slice(i, i + size))
  return batches
}
