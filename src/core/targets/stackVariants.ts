/**
 * Runtime-stack variants of built-in profiles: the same silicon with a different software stack, written as user
 * profiles (`extends` a built-in) so that they go through the same validation and citation rules. They are not
 * listed among the built-ins; callers that compare against a published figure measured on such a stack (the
 * accuracy benchmark) load them with `loadUserProfiles(JSON.stringify(STACK_VARIANTS), …)`.
 *
 * A profile names a stack, not only a chip (published-measurements.md: the same STM32L4R5 ran MLPerf Tiny VWW in
 * 600.6 ms with TFLM and in 230.5 ms with X-CUBE-AI 7.3).
 */

import type { HardwareProfile, OpClass } from './profile.js';

/** CMSIS-NN's published speed-up over the plain C kernels it replaces (whole-network runtime). */
export const CMSIS_NN_SPEEDUP = 4.6;

const CMSIS_NN_PAPER =
  'Lai, Suda, Chandra, "CMSIS-NN: Efficient Neural Network Kernels for Arm Cortex-M CPUs", arXiv:1801.06601 (2018), abstract: "Neural network inference based on CMSIS-NN kernels achieves 4.6X improvement in runtime/throughput" over the baseline kernels (a CIFAR-10 CNN on a Cortex-M7)';

/** The cortex-m4 efficiency factors (builtinProfiles.ts) the reference-kernel variant divides. */
function referenceKernelEfficiency(base: Record<OpClass, number>): Record<OpClass, number> {
  const out = {} as Record<OpClass, number>;
  for (const [k, v] of Object.entries(base) as [OpClass, number][])
    out[k] = Number((v / CMSIS_NN_SPEEDUP).toPrecision(3));
  return out;
}

/**
 * `cortex-m4-tflm-ref`: the Cortex-M4 running TensorFlow Lite Micro with its portable reference kernels, no
 * CMSIS-NN. This is the stack of the MLPerf Tiny v0.5 reference VWW result (600.6 ms on the STM32L4R5): the
 * reference submission's person_detection/setup_example.sh (mlcommons/tiny v0.1/reference_submissions) generates
 * the TFLM project without `TAGS=cmsis-nn`, while the keyword_spotting and image_classification scripts set
 * `TF_MAKE_TAGS="cmsis-nn"`; the system description (tiny_results_v0.5 closed/reference/systems) lists TFLM
 * v2.3.1, mbed-os bare metal, 120 MHz, and no further software libraries.
 */
export function stackVariants(m4: Pick<HardwareProfile, 'efficiency'>): Record<string, unknown>[] {
  const efficiency = referenceKernelEfficiency(m4.efficiency);
  const sources: Record<string, string> = {
    runtime:
      'mlcommons/tiny v0.1/reference_submissions/person_detection/setup_example.sh builds TensorFlow Lite Micro without TAGS=cmsis-nn (the KWS and IC scripts set TF_MAKE_TAGS="cmsis-nn"): reference kernels; tiny_results_v0.5 closed/reference/systems/Nucleo_L4R5ZI_System_Description.json: "TensorFlow Lite for Microcontrollers v2.3.1", "120 MHz"',
  };
  for (const k of Object.keys(efficiency))
    sources[`efficiency.${k}`] =
      `derived: the cortex-m4 (CMSIS-NN) factor ${m4.efficiency[k as OpClass]} ÷ ${CMSIS_NN_SPEEDUP}, CMSIS-NN's speed-up over plain C kernels: ${CMSIS_NN_PAPER}`;
  return [
    {
      id: 'cortex-m4-tflm-ref',
      extends: 'cortex-m4',
      name: 'Arm Cortex-M4F (STM32L4R5-class, 120 MHz), TFLM reference kernels',
      description:
        'The cortex-m4 profile with TensorFlow Lite Micro’s portable reference kernels instead of CMSIS-NN (the stack of the MLPerf Tiny v0.5 reference VWW submission)',
      runtime: { name: 'TFLite Micro (reference kernels, no CMSIS-NN)', version: '2.3.1' },
      efficiency,
      sources,
    },
  ];
}
