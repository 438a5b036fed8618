// Placeholder until the component behind `skiff oci` lands.
export async function main(_argv: string[]): Promise<number> {
  console.error('skiff oci: not built yet');
  return 1;
}
