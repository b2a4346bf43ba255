# style.gp: what every iommusim figure shares (inlined into each template when iommusim writes
# it; the installed templates load it: run them with GNUPLOT_LIB set to this folder).
# A colour-blind-safe palette of 12 colours (Okabe and Ito's 8, then 4 of Paul Tol's muted
# scheme, yellow last) and 12 markers: series i gets colour i and marker i, so that two series
# differ by their marker too where colours are hard to tell apart.
array pal[12] = [0x0072B2, 0xD55E00, 0x009E73, 0xCC79A7, 0xE69F00, 0x56B4E9, 0x000000, \
	0x882255, 0x44AA99, 0x999933, 0x332288, 0xC9B100]
array mk[12] = [7, 5, 9, 11, 13, 15, 6, 4, 8, 10, 12, 14]
col(i) = pal[(int(i) - 1) % 12 + 1]
mark(i) = mk[(int(i) - 1) % 12 + 1]
# the cost categories: their own palette (Paul Tol's light scheme), not the strategies'
array catpal[8] = [0x77AADD, 0xEE8866, 0xEEDD88, 0xFFAABB, 0x99DDFF, 0x44BB99, 0xBBCC33, \
	0xAAAA00]
catcol(i) = catpal[(int(i) - 1) % 8 + 1]
catlabel(s) = s eq "setup" ? "setup (boot work)" : s eq "hcall" ? "hypercalls" : \
	s eq "ucall" ? "ultracalls" : s eq "rtas" ? "RTAS calls" : s eq "copy" ? "bounce copies" : \
	s eq "guest_sw" ? "guest software" : s eq "lock_wait" ? "lock waits" : \
	s eq "device_xlate" ? "device translation" : s
is_svg(f) = strlen(f) > 4 && f[strlen(f)-2:] eq "svg"
# field(s, i): the i-th '|'-separated field of s (gnuplot -c takes 9 arguments: lists of labels
# with spaces come '|'-separated)
field(s, i) = i <= 1 ? (strstrt(s, "|") ? s[1:strstrt(s, "|") - 1] : s) : \
	(strstrt(s, "|") ? field(s[strstrt(s, "|") + 1:], i - 1) : "")
