/**
 * `npm run lab -- up|down|status|packages [service...]`: the lab outside the tests.
 * Without service names, `up`/`down`/`status` act on every service.
 */
import { ensureLabService, isLabServiceUp, labServicePackages, labServices, stopLabService } from './services.ts';

const [action = 'status', ...names] = process.argv.slice(2);
const services = names.length > 0 ? names : labServices();

async function main(): Promise<number> {
  switch (action) {
    case 'up':
      for (const name of services) {
        const state = await ensureLabService(name);
        console.log(`${name}: up ${JSON.stringify(state)}`);
      }
      return 0;
    case 'down':
      for (const name of [...services].reverse()) {
        await stopLabService(name);
        console.log(`${name}: down`);
      }
      return 0;
    case 'status': {
      let allUp = true;
      for (const name of services) {
        const up = await isLabServiceUp(name);
        allUp &&= up;
        console.log(`${name}: ${up ? 'up' : 'down'}`);
      }
      return allUp ? 0 : 3;
    }
    case 'packages':
      for (const name of services) console.log(`${name}: ${(await labServicePackages(name)).join(' ')}`);
      return 0;
    default:
      console.error('usage: npm run lab -- up|down|status|packages [service...]');
      return 2;
  }
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(error.message);
    process.exit(1);
  },
);
