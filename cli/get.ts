// Placeholder until the component behind `skiff get` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff get: not built yet');
  return 1;
}
