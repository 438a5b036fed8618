// Placeholder until the component behind `skiff server` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff server: not built yet');
  return 1;
}
