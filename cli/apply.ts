// Placeholder until the component behind `skiff apply` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff apply: not built yet');
  return 1;
}
