// Placeholder until the component behind `skiff image` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff image: not built yet');
  return 1;
}
