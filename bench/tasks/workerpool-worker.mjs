import workerpool from 'workerpool';
import * as kernels from './kernels.mjs';

workerpool.worker({ ...kernels });
