/** A ConfigMap manifest with one `value`, the object most end-to-end tests deploy. */
export const cm = (name: string, value: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\ndata:\n  value: "${value}"\n`;
