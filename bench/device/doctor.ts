/** `deml doctor` as a kit entry (bench/device/build-kit.mjs bundles it): the machine's backends. */
import { doctorCommand } from '../../src-main/cli/doctor';

process.exitCode = await doctorCommand(process.argv.slice(2));
