"""A software prefetch for numba kernels whose next random reads are known ahead.

A Fisher–Yates shuffle of tens of millions of stubs spends its time waiting for
memory: each swap reads one random place of an array far larger than the cache.
When the places are drawn a block ahead, the CPU can be asked to start fetching
place ``s + distance`` while swap ``s`` runs, so many misses are in flight at
once instead of one or two. numba has no prefetch of its own; this emits LLVM's
``llvm.prefetch`` intrinsic (a hint: it never changes a result, only timing).
"""

from __future__ import annotations

from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

_I8P = ir.IntType(8).as_pointer()
_I32 = ir.IntType(32)
# llvm.prefetch(address, rw = 1 (for a write), locality = 3 (keep in all caches), cache = 1 (data))
_ARGS = (ir.Constant(_I32, 1), ir.Constant(_I32, 3), ir.Constant(_I32, 1))


@intrinsic
def prefetch(typingctx, array, index):
    """Hint that ``array[index]`` (1-D, ``index`` in range) will be read and written soon."""
    if not isinstance(array, types.Array) or array.ndim != 1 or not isinstance(index, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, view, [args[1]],
                                           wraparound=False)
        function_type = ir.FunctionType(ir.VoidType(), [_I8P, _I32, _I32, _I32])
        # The typed-pointer name; LLVM versions with opaque pointers upgrade it.
        function = cgutils.get_or_insert_function(builder.module, function_type,
                                                  "llvm.prefetch.p0i8")
        builder.call(function, [builder.bitcast(pointer, _I8P), *_ARGS])
        return context.get_dummy_value()

    return types.void(array, index), codegen
