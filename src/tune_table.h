/* Expands a family's table of tunable kernels. A table is a file
 * <family>_tunables.def next to the family's host code, of rows
 *
 *     CLNN_FAMILY(name, exercise)                    once, first
 *     CLNN_KERNEL(variable, clnn__tunable initializer) one per kernel
 *
 * so a kernel is declared in one place: its id, program, kernel name and
 * search space (the initializer) and the variable the host code launches it
 * through. The build lists the families from the tables' CLNN_FAMILY rows
 * (cmake/tune_families.cmake).
 *
 * Include this header with CLNN_TABLE defined as the table's path:
 * - in the file that holds the family's exercise (a static function defined
 *   later in that file): it defines the kernels' variables (static, or with
 *   external linkage when CLNN_TABLE_SHARED is defined: other files of the
 *   family launch them) and the family's table (CLNN_TUNE_FAMILY);
 * - with CLNN_TABLE_DECLARE defined, in a family's internal header: the
 *   extern declarations of a shared table's variables.
 * No include guard: each inclusion expands the table it is given. */
#include "common/rows.h" /* the row kernels' initializers */
#include "tune_family.h"

#ifdef CLNN_TABLE_DECLARE
#define CLNN_FAMILY(name, exercise)
#define CLNN_KERNEL(variable, ...) extern const clnn__tunable variable;
#include CLNN_TABLE
#else
#ifdef CLNN_TABLE_SHARED
#define CLNN__TABLE_LINKAGE
#else
#define CLNN__TABLE_LINKAGE static
#endif
#define CLNN_FAMILY(name, exercise) static clnn__exercise_fn exercise;
#define CLNN_KERNEL(variable, ...) CLNN__TABLE_LINKAGE const clnn__tunable variable = __VA_ARGS__;
#include CLNN_TABLE
#undef CLNN_FAMILY
#undef CLNN_KERNEL
#define CLNN_FAMILY(name, exercise) CLNN_TUNE_FAMILY(name, exercise) = {
#define CLNN_KERNEL(variable, ...) &variable,
#include CLNN_TABLE
    NULL};
#undef CLNN__TABLE_LINKAGE
#endif

#undef CLNN_FAMILY
#undef CLNN_KERNEL
#undef CLNN_TABLE
#undef CLNN_TABLE_SHARED
#undef CLNN_TABLE_DECLARE
