// Runs s3rver under Node (its list pagination uses a cipher Bun lacks) on loopback and
// prints {"port":N} once listening. Arguments: <directory> <bucket>.
import S3rver from "s3rver";

const [directory, bucket] = process.argv.slice(2);
const server = new S3rver({ port: 0, address: "127.0.0.1", directory, silent: true, configureBuckets: [{ name: bucket }] });
const info = await server.run();
console.log(JSON.stringify({ port: info.port }));
const stop = () => server.close().finally(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
