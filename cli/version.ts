// Placeholder until the component behind `skiff version` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff version: not built yet');
  return 1;
}
