/**
 * Maps `items` through `each`, at most `concurrency` at a time, keeping the input order in the
 * result. The first rejection rejects the whole map (items already started run to their end).
 */
export async function mapConcurrent<Item, Result>(items: readonly Item[], concurrency: number, each: (item: Item, index: number) => Promise<Result>): Promise<Result[]> {
  const results: Result[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await each(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return results;
}
