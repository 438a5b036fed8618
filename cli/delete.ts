// Placeholder until the component behind `skiff delete` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff delete: not built yet');
  return 1;
}
